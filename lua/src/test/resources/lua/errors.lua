-- pcall and xpcall as Lua has them: messages with their position, values as raised, a stack overflow
-- caught, the handler given the error.
local function main()
    local ok, e = pcall(function() error("boom") end)
    if ok or e ~= "errors.lua:4: boom" then return false, "pcall message: " .. tostring(e) end
    local ok0, e0 = pcall(error, "plain", 0)
    if ok0 or e0 ~= "plain" then return false, "level 0: " .. tostring(e0) end
    local okt, et = pcall(error, { code = 7 })
    if okt or type(et) ~= "table" or et.code ~= 7 then return false, "a raised table comes back as it was" end
    local function deep(n) return 1 + deep(n + 1) end
    local oks, es = pcall(deep, 1)
    if oks or es ~= "stack overflow" then return false, "stack overflow: " .. tostring(es) end
    local okx, ex = xpcall(function() error("inner") end, function(m) return "handled: " .. m end)
    if okx or ex ~= "handled: errors.lua:13: inner" then return false, "xpcall: " .. tostring(ex) end
    local okv, a, b = pcall(function(x, y) return x + y, "two" end, 1, 2)
    if not okv or a ~= 3 or b ~= "two" then return false, "pcall results" end
    return true
end

return { main = main }
