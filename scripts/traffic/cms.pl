# legacy-cms: an old Perl CMS on Redis.pm from Debian's libredis-perl (2.000 in bookworm), which
# names its connection with CLIENT SETNAME but sends no CLIENT SETINFO. Caches rendered pages in
# page:<slug> and counts views in page:views:<slug>.
#
# Started by scripts/traffic.ts with the server and the run's end in the environment (TRAFFIC_HOST,
# TRAFFIC_PORT or TRAFFIC_SOCKET, TRAFFIC_DB, TRAFFIC_DEADLINE_MS, TRAFFIC_RATE, REDIS_USERNAME,
# REDIS_PASSWORD). Stops at the deadline, on SIGINT/SIGTERM, or when STDIN (the orchestrator's
# pipe) closes.
use strict;
use warnings;
use IO::Select;
use Time::HiRes qw(time);
use Redis;

my $NAME     = 'legacy-cms';
my $DEADLINE = $ENV{TRAFFIC_DEADLINE_MS} / 1000;
my $RATE     = $ENV{TRAFFIC_RATE} || 1;
my @PAGES    = qw(home about pricing blog/valkey-migration blog/release-notes careers contact docs/api);
my $stopping = 0;
$SIG{INT} = $SIG{TERM} = sub { $stopping = 1 };

sub running { return !$stopping && time() < $DEADLINE }

# Waits, but returns false as soon as the run should end.
my $stdin = IO::Select->new(\*STDIN);
sub pause {
  my ($seconds) = @_;
  my $end = time() + $seconds / $RATE;
  $end = $DEADLINE if $end > $DEADLINE;
  while (running() && time() < $end) {
    my $wait = $end - time();
    $wait = 0.25 if $wait > 0.25;
    if ($stdin->can_read($wait > 0 ? $wait : 0)) {
      my $n = sysread(STDIN, my $buf, 512);
      $stopping = 1 if defined $n && $n == 0;    # the orchestrator is gone
    }
  }
  return running();
}

my %warned;
sub warn_once {
  my ($err) = @_;
  my ($text) = split /\n/, "$err";
  $text =~ s/ at \S+ line \d+\.?$//;
  print STDERR "$text\n" unless $warned{$text}++;
}

my %options = (name => $NAME, reconnect => 2, every => 200_000, cnx_timeout => 2);
if ($ENV{TRAFFIC_SOCKET}) { $options{sock} = $ENV{TRAFFIC_SOCKET} }
else                      { $options{server} = "$ENV{TRAFFIC_HOST}:$ENV{TRAFFIC_PORT}" }
$options{username} = $ENV{REDIS_USERNAME} if $ENV{REDIS_USERNAME};
$options{password} = $ENV{REDIS_PASSWORD} if $ENV{REDIS_PASSWORD};
$options{on_connect} = sub { $_[0]->select($ENV{TRAFFIC_DB}) } if $ENV{TRAFFIC_DB};

my $redis = eval { Redis->new(%options) } or do { warn_once($@); exit 1 };
while (1) {
  eval {
    my $slug = $PAGES[rand @PAGES];
    my $html = $redis->get("page:$slug");
    $redis->set("page:$slug", "<html>$slug</html>", 'EX', 120 + int(rand(600))) unless defined $html;
    $redis->incr("page:views:$slug");
    $redis->expire("page:views:$slug", 3600);
    1;
  } or warn_once($@);
  last unless pause(0.1 + rand(0.4));
}
eval { $redis->quit };
