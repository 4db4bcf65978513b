-- The terminal client: reads lines, sends each to "relay", prints the worker's answer or a timeout.
local io = require("io")
local time = require("time")

local function wait_for_relay()
    local deadline = time.now() + 5
    while time.now() < deadline do
        if process.registry.lookup("relay") then return true end
        time.sleep("50ms")
    end
    return false
end

local function main()
    local inbox = process.inbox()
    if not wait_for_relay() then
        io.print("relay not ready")
        return 1
    end
    io.print("Echo Client")
    io.print("Type messages to echo. Ctrl+D to exit.\n")

    while true do
        io.write("> ")
        local input = io.readline()
        if not input or #input == 0 then break end

        local _, err = process.send("relay", "echo", { sender = process.pid(), data = input })
        if err then
            io.print("  error: relay not available")
        else
            local r = channel.select { inbox:case_receive(), time.after("2s"):case_receive() }
            if r.channel == inbox and r.value:topic() == "echo_response" then
                local resp = r.value:payload():data()
                io.print("  " .. resp.data)
                io.print("  from worker: " .. resp.worker)
            elseif r.channel == inbox then
                io.print("  error: " .. tostring(r.value:payload():data().reason))
            else
                io.print("  timeout")
            end
        end
    end
    io.print("\nGoodbye!")
    return 0
end

return { main = main }
