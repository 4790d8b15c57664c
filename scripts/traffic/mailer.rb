# mailer: a Ruby job queue on redis-rb from Debian's ruby-redis package (4.8 in bookworm, which
# names its connection with CLIENT SETNAME but sends no CLIENT SETINFO). One connection LPUSHes
# mail jobs onto queue:mail in small bursts; a second one, the consumer, waits on BRPOP, so the
# dashboard shows a client blocked in brpop most of the time.
#
# Started by scripts/traffic.ts with the server and the run's end in the environment (TRAFFIC_HOST,
# TRAFFIC_PORT or TRAFFIC_SOCKET, TRAFFIC_DB, TRAFFIC_DEADLINE_MS, TRAFFIC_RATE, REDIS_USERNAME,
# REDIS_PASSWORD). Stops at the deadline, on SIGINT/SIGTERM, or when stdin (the orchestrator's pipe)
# closes.
require 'json'
require 'redis'

NAME = 'mailer'
DEADLINE = Integer(ENV.fetch('TRAFFIC_DEADLINE_MS')) / 1000.0
RATE = Float(ENV.fetch('TRAFFIC_RATE', '1'))
$stopping = false
%w[INT TERM].each { |sig| trap(sig) { $stopping = true } }

def running?
  !$stopping && Time.now.to_f < DEADLINE
end

# Waits, but returns false as soon as the run should end.
def pause(seconds)
  finish = [Time.now.to_f + seconds / RATE, DEADLINE].min
  while running? && Time.now.to_f < finish
    ready = IO.select([$stdin], nil, nil, [0.25, finish - Time.now.to_f].min.clamp(0, 0.25))
    begin
      $stdin.read_nonblock(512) if ready
    rescue EOFError
      $stopping = true # the orchestrator is gone
    rescue IO::WaitReadable
      nil
    end
  end
  running?
end

$warned = {}
def warn_once(err)
  text = "#{err.class}: #{err.message.lines.first&.strip}"
  return if $warned[text]

  $warned[text] = true
  $stderr.puts text
end

def connect
  options = { id: NAME, db: Integer(ENV.fetch('TRAFFIC_DB', '0')), reconnect_attempts: 3 }
  options[:username] = ENV['REDIS_USERNAME'] unless ENV['REDIS_USERNAME'].to_s.empty?
  options[:password] = ENV['REDIS_PASSWORD'] unless ENV['REDIS_PASSWORD'].to_s.empty?
  if ENV['TRAFFIC_SOCKET'].to_s.empty?
    Redis.new(host: ENV.fetch('TRAFFIC_HOST'), port: Integer(ENV.fetch('TRAFFIC_PORT')), **options)
  else
    Redis.new(path: ENV['TRAFFIC_SOCKET'], **options)
  end
end

consumer = Thread.new do
  redis = connect
  while running?
    begin
      _queue, job = redis.brpop('queue:mail', timeout: 1)
      next unless job

      redis.incr('mail:sent')
      redis.expire('mail:sent', 3600)
    rescue Redis::BaseError => e
      warn_once(e)
      pause(1)
    end
  end
  redis.close
end

producer = connect
loop do
  begin
    rand(1..6).times do
      producer.lpush('queue:mail', JSON.generate(to: "user#{rand(1..400)}@example.com", template: %w[receipt welcome reset].sample))
    end
    producer.expire('queue:mail', 3600)
  rescue Redis::BaseError => e
    warn_once(e)
  end
  break unless pause(rand(0.5..3.0))
end
producer.close
consumer.join
