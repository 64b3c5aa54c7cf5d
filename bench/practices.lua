-- wrk script: the practice pages of the 10,000 generated practices (bench/generate.py), in turn.
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", string.format("/practices/synthetic-%06d", (i * 37) % 10000))
end
