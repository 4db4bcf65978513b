-- bench:lua-sink: an idle Lua process, blocked in receive until "stop".
local function main()
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        if msg:topic() == "stop" then return 0 end
    end
end

return { main = main }
