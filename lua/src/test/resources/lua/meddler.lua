-- Tries to reach beyond its own state; returns what it could not do.
local function main()
    string.upper = function() return "hacked" end
    math.randomseed(42)
    shared_global = "mine"
    local report = {}
    report.os = os == nil
    report.io = io == nil
    report.debug = debug == nil
    report.luajava = luajava == nil
    report.dofile = dofile == nil
    report.string_meta = getmetatable("") == "string"
    local binary = load(string.char(27) .. "LuaR", "x", "b")
    report.binary_load = binary == nil
    local ok = pcall(require, "os")
    report.require_os = not ok
    local text = load("return 1 + 1")
    report.text_load = text ~= nil and text() == 2
    report.shared_library = not pcall(function() getmetatable(string).__index.upper = string.upper end)
    report.own_override = string.upper("x") == "hacked"
    return report
end

return { main = main }
