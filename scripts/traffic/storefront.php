<?php
// storefront: a PHP front end on phpredis from Debian's php-redis (5.3.7 in bookworm), which sends
// no CLIENT SETINFO; the app names its connection itself with CLIENT SETNAME. Caches HTML
// fragments in fragment:<name> and counts hits in stats:hits:<date>.
//
// Started by scripts/traffic.ts with the server and the run's end in the environment (TRAFFIC_HOST,
// TRAFFIC_PORT or TRAFFIC_SOCKET, TRAFFIC_DB, TRAFFIC_DEADLINE_MS, TRAFFIC_RATE, REDIS_USERNAME,
// REDIS_PASSWORD). Stops at the deadline, on SIGINT/SIGTERM, or when STDIN (the orchestrator's
// pipe) closes.
const NAME = 'storefront';
const FRAGMENTS = ['header', 'footer', 'nav', 'home-hero', 'product-grid', 'cart-badge', 'reviews'];
$deadline = (int) getenv('TRAFFIC_DEADLINE_MS') / 1000;
$rate = (float) (getenv('TRAFFIC_RATE') ?: 1);
$stopping = false;
if (function_exists('pcntl_async_signals')) {
    pcntl_async_signals(true);
    pcntl_signal(SIGINT, function () use (&$stopping) { $stopping = true; });
    pcntl_signal(SIGTERM, function () use (&$stopping) { $stopping = true; });
}
$running = function () use (&$stopping, $deadline) { return !$stopping && microtime(true) < $deadline; };

// Waits, but returns false as soon as the run should end.
$pause = function (float $seconds) use (&$stopping, $deadline, $rate, $running) {
    $end = min(microtime(true) + $seconds / $rate, $deadline);
    while ($running() && microtime(true) < $end) {
        $wait = max(0, min(0.25, $end - microtime(true)));
        $read = [STDIN];
        $none = null;
        if (@stream_select($read, $none, $none, 0, (int) ($wait * 1e6)) > 0 && fread(STDIN, 512) === '' && feof(STDIN)) {
            $stopping = true; // the orchestrator is gone
        }
    }
    return $running();
};

$warned = [];
$warn = function (Throwable $e) use (&$warned) {
    $text = get_class($e) . ': ' . strtok($e->getMessage(), "\n");
    if (!isset($warned[$text])) {
        $warned[$text] = true;
        fwrite(STDERR, "$text\n");
    }
};

$connect = function () {
    $r = new Redis();
    $socket = getenv('TRAFFIC_SOCKET');
    $socket ? $r->connect($socket) : $r->connect(getenv('TRAFFIC_HOST'), (int) getenv('TRAFFIC_PORT'), 2.0);
    $user = getenv('REDIS_USERNAME');
    $password = getenv('REDIS_PASSWORD');
    if ($password) $r->auth($user ? [$user, $password] : $password);
    if ((int) getenv('TRAFFIC_DB')) $r->select((int) getenv('TRAFFIC_DB'));
    $r->client('setname', NAME);
    return $r;
};

$redis = null;
do {
    try {
        $redis = $redis ?? $connect();
        $fragment = 'fragment:' . FRAGMENTS[array_rand(FRAGMENTS)];
        if ($redis->get($fragment) === false) $redis->setex($fragment, rand(60, 600), str_repeat('<div></div>', rand(5, 50)));
        $hits = 'stats:hits:' . date('Y-m-d');
        $redis->incr($hits);
        $redis->expire($hits, 3600);
    } catch (Throwable $e) {
        $warn($e);
        $redis = null; // reconnect on the next request, as PHP would
    }
} while ($pause(0.05 + mt_rand() / mt_getrandmax() * 0.2));
if ($redis) $redis->close();
