-- An endless loop that never blocks.
local function main()
    local n = 0
    while true do n = n + 1 end
end

return { main = main }
