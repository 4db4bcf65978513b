-- What Troupe's Lua (LuaJ, Lua 5.2) gives where Lua dialects differ; docs/lua.md states each.
local function main()
    local t = { 1, 2, nil, 4 }
    return {
        upper_ascii = string.upper("hello"),
        upper_utf8 = string.upper("ünïcode 你好"),
        lower_utf8 = string.lower("ÜNÏCODE"),
        method_upper = ("straße"):upper(),
        len_utf8 = #"你好",
        division = 7 / 2,
        whole_division = tostring(4 / 2),
        floor = math.floor(7 / 2),
        big = tostring(2^53),
        float_text = tostring(0.1),
        huge_text = tostring(1e20),
        format_d = string.format("%d", 42),
        format_5d = string.format("[%5d]", 42),
        format_g = string.format("%.3f", 1 / 3),
        holes = #t,
        integer_division_compiles = load("return 7 // 2") ~= nil,
    }
end

return { main = main }
