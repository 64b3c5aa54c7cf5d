-- wrk script: search pages (or the search API) for 60 different queries, in turn.
-- KB_PATH picks the route: /search (default) or /api/v1/search.
local base = os.getenv("KB_PATH") or "/search"
local queries = {
  "flood", "permit", "bicycle", "library", "school", "heat", "waste", "compost", "bus",
  "housing", "budget", "volunteer", "sensor", "park", "river", "tram", "solar",
  "procurement", "youth", "clinic", "water", "storm", "tree", "market", "kiosk", "tenant",
  "data", "map", "noise", "parking", "ferry", "bridge", "garden", "energy", "recycling",
  "reuse", "repair", "kitchen", "transport", "elderly", "museum", "festival", "tourism",
  "jobs", "training", "apprentice", "migrant", "language", "broadband", "app",
  "flood+wardens", "digital+permit", "shared+bicycle", "joint+procurement",
  "citizen-led+garden", "low-cost+repair", "mobile+library", "green+roofs",
  "school+meals", "heat+wave",
}
local i = 0
request = function()
  i = i + 1
  local q = queries[(i % #queries) + 1]
  return wrk.format("GET", base .. "?q=" .. q)
end
