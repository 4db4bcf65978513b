-- Asks a Java worker for an echo, as the Lua relay's CLI does, and returns its answer.
local time = require("time")

local function main(java_entry, text)
    local inbox = process.inbox()
    local pid, err = process.spawn(java_entry, "app:n1", process.pid(), text)
    if err then return false, "spawn: " .. err end
    local r = channel.select { inbox:case_receive(), time.after("5s"):case_receive() }
    if r.channel ~= inbox then return false, "no answer from the Java worker" end
    local msg = r.value
    if msg:topic() ~= "echo_response" then return false, "topic " .. msg:topic() end
    local resp = msg:payload():data()
    return { data = resp.data, worker = resp.worker, from = msg:from() }
end

return { main = main }
