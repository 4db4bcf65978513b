-- Messages from one sender arrive in order; a listener takes its topic, the inbox the rest;
-- message mode gives :from(), :topic() and :payload():data().
local function main()
    local inbox = process.inbox()
    local numbers = process.listen("numbers")
    local full = process.listen("full", { message = true })
    if process.inbox() ~= inbox then return false, "inbox() must return the same channel" end

    for i = 1, 5 do process.send(process.pid(), "numbers", i) end
    process.send(process.pid(), "other", { a = 1, list = { "x", "y" } })
    process.send(process.pid(), "full", "hello")

    for i = 1, 5 do
        local v = numbers:receive()
        if v ~= i then return false, "expected " .. i .. " got " .. tostring(v) end
    end
    local msg = inbox:receive()
    if msg:topic() ~= "other" then return false, "inbox got topic " .. msg:topic() end
    local data = msg:payload():data()
    if data.a ~= 1 or data.list[2] ~= "y" then return false, "payload lost its shape" end
    local m = full:receive()
    if m:from() ~= process.pid() then return false, "from() should be my pid, got " .. m:from() end
    if m:payload():data() ~= "hello" then return false, "message mode payload" end

    -- integer keys survive the trip, as Lua tables
    process.send(process.pid(), "shapes", { [10] = "a" }, { 1, 2, 3, n = 3 })
    local shapes = inbox:receive():payload()
    local sparse, counted = shapes[1]:data(), shapes[2]:data()
    if sparse[10] ~= "a" or #counted ~= 3 or counted.n ~= 3 then return false, "integer keys lost" end

    -- a topic listened to raw, then in message mode, gives messages
    local switching = process.listen("switch")
    process.listen("switch", { message = true })
    process.send(process.pid(), "switch", "v")
    local sw = switching:receive()
    if type(sw) ~= "userdata" or sw:topic() ~= "switch" then return false, "listen switched to message mode" end

    local ok, err = process.send("nobody-has-this-name", "x", 1)
    if ok or not err then return false, "send to an unknown name must fail" end
    if err:kind() ~= "NOT_FOUND" then return false, "kind " .. err:kind() end
    local ok2, err2 = process.send(process.pid(), "@inbox", 1)
    if ok2 or err2:kind() ~= "INVALID" then return false, "@ topics must be refused" end
    return true
end

return { main = main }
