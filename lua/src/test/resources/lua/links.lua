-- With trap_links, a linked child's failure arrives as LINK_DOWN; a normal exit sends none.
local time = require("time")

local function main(child_entry)
    local ok = process.set_options({ trap_links = true })
    if not ok or not process.get_options().trap_links then return false, "trap_links" end
    local bad, berr = process.set_options({ nonsense = 1 })
    if bad or not tostring(berr):find("not supported") then return false, "unknown option must be refused" end
    local events = process.events()
    process.spawn_linked(child_entry, "app:n1", "return", 1)
    local failing = process.spawn_linked(child_entry, "app:n1", "fail", "linked boom")
    local r = channel.select { events:case_receive(), time.after("5s"):case_receive() }
    if r.channel ~= events then return false, "timeout waiting for LINK_DOWN" end
    local e = r.value
    if e.kind ~= process.event.LINK_DOWN or e.from ~= failing then return false, "expected LINK_DOWN from the failing child" end
    if not tostring(e.result.error):find("linked boom") then return false, "LINK_DOWN carries the error" end
    return true
end

return { main = main }
