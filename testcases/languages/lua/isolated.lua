-- Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
-- Plain Lua has no sockets, so bash's /dev/tcp makes the connect: exit 0 is a connection, 1
-- a refused one; anything else means bash could not try, which is no answer either.
local a, b = io.read('n', 'n')
if io.open('/etc/shadow', 'r') then print('LEAK: read /etc/shadow') return end
local connect = "exec /usr/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/47999' 2>/dev/null"
local _, how, code = os.execute(connect)
if how == 'exit' and code == 0 then print('LEAK: connected')
elseif how ~= 'exit' or code ~= 1 then print('UNTESTED: bash ' .. how .. ' ' .. code)
else print(a + b) end
