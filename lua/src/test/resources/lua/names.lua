-- register, lookup, unregister; a name another process holds is refused.
local function main(taken)
    local name = "lua-name-" .. process.pid()
    local ok, err = process.registry.register(name)
    if not ok then return false, "register: " .. tostring(err) end
    if process.registry.lookup(name) ~= process.pid() then return false, "lookup" end
    local again = process.registry.register(name)
    if not again then return false, "register is idempotent for the same process" end
    local ok2, err2 = process.registry.register(taken)
    if ok2 or err2:kind() ~= "ALREADY_EXISTS" then return false, "a taken name must be refused" end
    if not process.registry.unregister(name) then return false, "unregister" end
    if process.registry.unregister(name) then return false, "a second unregister returns false" end
    local pid, lerr = process.registry.lookup(name)
    if pid ~= nil or lerr:kind() ~= "NOT_FOUND" then return false, "lookup after unregister" end
    return true
end

return { main = main }
