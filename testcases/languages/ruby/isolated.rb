# Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
require 'socket'
a, b = gets.split.map(&:to_i)
begin
  File.read('/etc/shadow')
  puts 'LEAK: read /etc/shadow'
  exit 0
rescue SystemCallError
end
begin
  TCPSocket.new('127.0.0.1', 47999)
  puts 'LEAK: connected'
rescue SystemCallError
  puts a + b
end
