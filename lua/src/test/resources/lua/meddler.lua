-- Tries to reach beyond its own state; returns what it could not do.
local function main()
    string.upper = function() return "hacked" end
    math.randomseed(42)
    shared_global = "mine"
    local report = {}
    report.io = io == nil
    report.debug = debug == nil
    report.luajava = luajava == nil
    report.dofile = dofile == nil
    report.string_meta = getmetatable("") == "string"
    local binary = load(string.char(27) .. "LuaR", "x", "b")
    report.binary_load = binary == nil
    local ok = pcall(require, "io") -- not listed by this entry
    report.require_unlisted = not ok
    local text = load("return 1 + 1")
    report.text_load = text ~= nil and text() == 2
    report.shared_library = not pcall(function() getmetatable(string).__index.upper = string.upper end)
    report.own_override = string.upper("x") == "hacked"
    report.os_clock_only = type(os.time()) == "number" and os.execute == nil and os.exit == nil and os.getenv == nil
    report.rep_bounded = not pcall(string.rep, "x", 2^31 - 1)
    report.unpack_bounded = not pcall(table.unpack, {}, 1, 1e8)
    math.random = nil
    math.randomseed = nil
    report.no_shared_random = math.random == nil and math.randomseed == nil
    return report
end

return { main = main }
