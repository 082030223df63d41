-- Fixed-rate load for Debian's wrk 4.1 (which has no -R): each wrk thread keeps an absolute
-- schedule of send slots, one every `threads / rate` seconds, and wrk's delay() hook holds a
-- connection until its slot. Slots are absolute, so rounding to wrk's 1 ms timer does not drift
-- the rate. Latency is wrk's own (from the write to the response), so a server that falls behind
-- is not charged for the wait of requests it delayed (coordinated omission); at 50% of peak the
-- connections are idle most of the time, so that wait is small. A schedule more than 1 s behind
-- is reset rather than sent as a burst. Args: -- <total requests/s> <threads>
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval_ms = 1
local next_ms = nil

function init(args)
  local rate = tonumber(args[1])
  local threads = tonumber(args[2])
  interval_ms = 1000 * threads / rate
end

function delay()
  local t = now_ms()
  if next_ms == nil or next_ms < t - 1000 then
    -- Threads start at a random phase so their slots do not line up.
    next_ms = t + math.random() * interval_ms
  end
  local slot = next_ms
  next_ms = next_ms + interval_ms
  if slot <= t then return 0 end
  return math.floor(slot - t)
end
