-- An endless loop inside xpcall's handler, which LuaJ's own xpcall ran in a catch-all.
local function main()
    while true do
        xpcall(function() error("x") end, function() while true do end end)
    end
end

return { main = main }
