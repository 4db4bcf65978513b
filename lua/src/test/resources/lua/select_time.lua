-- select: the first ready case in order wins; a timeout wins when nothing else comes; default when
-- nothing is ready; a closed channel reads nil, false; time.after fires once then reads closed.
local time = require("time")

local function main()
    local a = channel.new(1)
    local b = channel.new(1)
    a:send("a")
    b:send("b")
    local r = channel.select { b:case_receive(), a:case_receive() }
    if r.channel ~= b or r.value ~= "b" then return false, "first ready case must win" end

    local r2 = channel.select { channel.new():case_receive(), default = true }
    if not r2.default then return false, "default expected" end

    local started = time.now()
    local timeout = time.after("50ms")
    local r3 = channel.select { channel.new():case_receive(), timeout:case_receive() }
    if r3.channel ~= timeout then return false, "timeout should win" end
    if time.now() - started < 0.04 then return false, "timeout fired early" end
    local v, ok = timeout:receive()
    if ok then return false, "a fired timer must read as closed" end

    local c = channel.new(2)
    c:send(1)
    c:close()
    c:close() -- a second close does nothing
    local x, ok1 = c:receive()
    local y, ok2 = c:receive()
    if x ~= 1 or not ok1 or y ~= nil or ok2 then return false, "closed channel semantics" end
    local sent = pcall(function() c:send(2) end)
    if sent then return false, "send on a closed channel must raise" end

    local s = channel.new(1)
    local r4 = channel.select { s:case_send("v") }
    if r4.channel ~= s or r4.value ~= "v" or s:receive() ~= "v" then return false, "send case" end
    local bad = time.after(0)
    if bad ~= nil then return false, "time.after(0) must fail" end
    return true
end

return { main = main }
