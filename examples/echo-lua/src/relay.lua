-- The relay: registered as "relay", it spawns a monitored worker for each echo request (topic echo,
-- {sender, data, id}: what the Lua CLI, the Java CLI and the Python client send) and logs each worker
-- that fails; a coroutine logs its figures every 5 s.
local logger = require("logger")
local time = require("time")

local stats = { messages = 0, workers_spawned = 0, spawn_failures = 0 }

local function report_stats()
    while true do
        time.sleep("5s")
        logger:info("stats", stats)
    end
end

local function main()
    local inbox = process.inbox()
    local events = process.events()
    process.registry.register("relay")
    logger:info("relay started", { pid = process.pid() })
    coroutine.spawn(report_stats)

    while true do
        local r = channel.select { inbox:case_receive(), events:case_receive() }
        if r.channel == events then
            local event = r.value
            if event.kind == process.event.EXIT and event.result.error then
                logger:warn("worker failed", { from = event.from, error = event.result.error })
            end
        elseif r.value:topic() == "echo" then
            local echo = r.value:payload():data()
            stats.messages = stats.messages + 1
            local _, err = process.spawn_monitored("app:worker", "app:processes", echo.sender, echo.data,
                echo.id)
            if err then
                stats.spawn_failures = stats.spawn_failures + 1
                logger:error("spawn failed", { error = err })
                process.send(echo.sender, "echo_error", { id = echo.id, reason = tostring(err) })
            else
                stats.workers_spawned = stats.workers_spawned + 1
            end
        end
    end
end

return { main = main }
