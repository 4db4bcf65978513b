-- Uses what a meddler may have changed in its own state.
local function main()
    return { upper = string.upper("abc"), method = ("abc"):upper(), global = tostring(shared_global) }
end

return { main = main }
