-- bench:lua-hello, the Lua twin of bench:hello: tells its parent that it runs, and returns.
local function main(parent)
    process.send(parent, "hello", 0)
    return 0
end

return { main = main }
