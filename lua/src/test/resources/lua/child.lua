-- A child for the monitor and link tests: returns, fails, or waits, as told.
local time = require("time")

local function main(how, value)
    if how == "return" then return value end
    if how == "fail" then error(value) end
    if how == "fail_soft" then return nil, value end
    if how == "return_zero" then return value, 0 end
    if how == "wait" then
        while true do time.sleep("1s") end
    end
    return true
end

return { main = main }
