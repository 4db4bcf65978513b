-- One echo: waits a little, answers the sender in upper case with this worker's PID, and ends.
-- The request's id, when the client gave one (the Java CLI and the Python client do), goes back with
-- the answer, so that a client can tell a late answer from the one it waits for.
local time = require("time")

local function main(sender_pid, data, id)
    time.sleep("100ms")
    process.send(sender_pid, "echo_response", {
        data = string.upper(data),
        worker = process.pid(),
        id = id,
    })
    return 0
end

return { main = main }
