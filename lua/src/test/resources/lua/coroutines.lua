-- coroutine.spawn runs beside main, sharing its variables, taking turns at blocking calls; Lua's own
-- create/resume/yield work too; spawned coroutines end when main returns.
local time = require("time")

local function main()
    local shared = { count = 0 }
    local done = channel.new()
    for i = 1, 3 do
        coroutine.spawn(function()
            time.sleep("10ms")
            shared.count = shared.count + i
            done:send(i)
        end)
    end
    local got = 0
    for _ = 1, 3 do got = got + done:receive() end
    if got ~= 6 or shared.count ~= 6 then return false, "spawned coroutines: " .. shared.count end

    coroutine.spawn(function()
        while true do time.sleep("5ms") end -- runs forever: stopped when main returns
    end)

    local gen = coroutine.create(function(a, b)
        local c = coroutine.yield(a + b)
        local d = coroutine.yield(c * 2)
        return d, "end"
    end)
    local ok1, v1 = coroutine.resume(gen, 1, 2)
    local ok2, v2 = coroutine.resume(gen, 10)
    local ok3, v3, v4 = coroutine.resume(gen, "last")
    if not (ok1 and v1 == 3 and ok2 and v2 == 20 and ok3 and v3 == "last" and v4 == "end") then
        return false, "create/resume/yield"
    end
    if coroutine.status(gen) ~= "dead" then return false, "status " .. coroutine.status(gen) end
    local again, msg = coroutine.resume(gen)
    if again then return false, "a dead coroutine must not resume" end

    local boom = coroutine.create(function() error("inside") end)
    local okb, errb = coroutine.resume(boom)
    if okb or not tostring(errb):find("inside") then return false, "error in a coroutine is returned by resume" end

    local w = coroutine.wrap(function() coroutine.yield(1); coroutine.yield(2) end)
    if w() ~= 1 or w() ~= 2 then return false, "wrap" end
    return "done"
end

return { main = main }
