-- Without trap_links, a linked child's failure ends this process with "linked process failed".
local time = require("time")

local function main(child_entry)
    process.spawn_linked(child_entry, "app:n1", "fail", "child failed")
    while true do time.sleep("1s") end
end

return { main = main }
