-- spawn_monitored gives one EXIT per child, with its result or its error; unmonitor stops them.
local time = require("time")

local function main(child_entry)
    local events = process.events()
    local ok_pid = process.spawn_monitored(child_entry, "app:n1", "return", 42)
    local fail_pid = process.spawn_monitored(child_entry, "app:n1", "fail", "it broke")
    local seen = {}
    local timeout = time.after("5s")
    while not (seen[ok_pid] and seen[fail_pid]) do
        local r = channel.select { events:case_receive(), timeout:case_receive() }
        if r.channel == timeout then return false, "timeout waiting for EXIT" end
        local e = r.value
        if e.kind ~= process.event.EXIT then return false, "unexpected " .. e.kind end
        seen[e.from] = e
    end
    if seen[ok_pid].result.value ~= 42 or seen[ok_pid].result.error then return false, "normal exit result" end
    local err = seen[fail_pid].result.error
    if not err or not tostring(err):find("it broke") then return false, "error exit: " .. tostring(err) end

    local waiting = process.spawn(child_entry, "app:n1", "wait")
    local ok, merr = process.monitor(waiting)
    if not ok then return false, "monitor: " .. tostring(merr) end
    local again, aerr = process.monitor(waiting)
    if again or aerr:kind() ~= "ALREADY_EXISTS" then return false, "second monitor must fail" end
    process.unmonitor(waiting)
    process.terminate(waiting)
    local r = channel.select { events:case_receive(), time.after("300ms"):case_receive() }
    if r.channel == events then return false, "no EXIT after unmonitor" end
    return true
end

return { main = main }
