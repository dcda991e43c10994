/**
 * The quota's one Lua script: a whole step (release, renew, grant in order) runs atomically in
 * Redis, in one round trip, on Redis's own clock (`TIME`), so the hosts' clocks never matter.
 *
 * Keys: `<key>:leases`, a sorted set of lease id → expiry (ms); `<key>:next-start`, the time
 * before which no task may start (strict spacing of 1000 / maxTasksPerSecond ms: a generic cell
 * rate algorithm without burst, so no second ever holds more than the limit); `<key>:processes`,
 * a sorted set of process id → last seen + 3 lease periods (the fleet's size, for the fallback);
 * `<key>:waiting`, process id → when it began to wait for a slot, and `<key>:waiting-seen`, when
 * it last asked: a free slot goes first to processes that have waited longer (one each, then the
 * process goes to the back of the line), so no process can keep the fleet's slots to itself.
 */
import { createHash } from 'node:crypto';

export const STEP_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local leases, nextKey, procs, waiting, seen = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local leaseMs = tonumber(ARGV[1])
local maxConc = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local nRelease = tonumber(ARGV[5])
local nRenew = tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local expiry = now + leaseMs
local i = 8
for _ = 1, nRelease do
  redis.call('ZREM', leases, ARGV[i])
  i = i + 1
end
for _ = 1, nRenew do
  redis.call('ZADD', leases, expiry, ARGV[i])
  i = i + 1
end
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local held = redis.call('ZCARD', leases)
local pid = ARGV[4]
-- Processes that waited longer than this one each have a slot kept for them.
local stale = redis.call('ZRANGEBYSCORE', seen, '-inf', now - tonumber(ARGV[7]))
for _, gone in ipairs(stale) do
  redis.call('ZREM', waiting, gone)
  redis.call('ZREM', seen, gone)
end
local since = redis.call('ZSCORE', waiting, pid)
local ahead
if since then
  ahead = redis.call('ZCOUNT', waiting, '-inf', '(' .. since)
else
  ahead = redis.call('ZCARD', waiting)
end
local nextAt = tonumber(redis.call('GET', nextKey) or '0')
local granted, wait, started, requests = 0, 0, false, #ARGV - i + 1
while i <= #ARGV do
  local kind, id = string.sub(ARGV[i], 1, 1), string.sub(ARGV[i], 2)
  if kind == 'L' and maxConc > 0 and held + ahead >= maxConc then
    wait = -1
    break
  end
  if interval > 0 then
    if nextAt > now then
      wait = math.ceil(nextAt - now)
      break
    end
    nextAt = now + interval
    started = true
  end
  -- A start for a held lease (a retry) renews it, and re-adopts it if it had expired.
  held = held + redis.call('ZADD', leases, expiry, id)
  granted = granted + 1
  i = i + 1
end
if started then
  redis.call('SET', nextKey, string.format('%.3f', nextAt), 'PX', math.ceil(interval) + 1000)
end
if wait == -1 then
  -- Still short of slots: keep its place in the line, or go to the back once served one.
  if granted > 0 then redis.call('ZADD', waiting, now, pid) else redis.call('ZADD', waiting, 'NX', now, pid) end
  redis.call('ZADD', seen, now, pid)
  redis.call('PEXPIRE', waiting, math.ceil(leaseMs * 3))
  redis.call('PEXPIRE', seen, math.ceil(leaseMs * 3))
elseif requests > 0 and granted == requests then
  redis.call('ZREM', waiting, pid)
  redis.call('ZREM', seen, pid)
end
if held > 0 then redis.call('PEXPIRE', leases, math.ceil(leaseMs * 2)) end
redis.call('ZADD', procs, now + 3 * leaseMs, ARGV[4])
redis.call('ZREMRANGEBYSCORE', procs, '-inf', now)
redis.call('PEXPIRE', procs, math.ceil(leaseMs * 3))
return { granted, wait, held, redis.call('ZCARD', procs) }
`;

export const STEP_SHA = createHash('sha1').update(STEP_SCRIPT).digest('hex');
