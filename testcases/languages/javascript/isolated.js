// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
const fs = require('fs');
const net = require('net');
const [a, b] = fs.readFileSync(0, 'utf8').trim().split(/\s+/).map(Number);
let leaked = false;
try { fs.readFileSync('/etc/shadow'); leaked = true; } catch (e) {}
const socket = net.connect(47999, '127.0.0.1');
socket.on('connect', () => { console.log('LEAK: connected'); process.exit(0); });
socket.on('error', () => { console.log(leaked ? 'LEAK: read /etc/shadow' : String(a + b)); });
