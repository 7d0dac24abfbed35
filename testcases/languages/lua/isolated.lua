-- Reads /etc/shadow; answers only if it cannot (plain Lua has no sockets).
local a, b = io.read('n', 'n')
if io.open('/etc/shadow', 'r') then print('LEAK: read /etc/shadow') else print(a + b) end
