// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
using System;
using System.IO;
using System.Net.Sockets;
class Program {
    static void Main() {
        var p = Console.ReadLine().Split(new[] {' '}, StringSplitOptions.RemoveEmptyEntries);
        try { File.ReadAllText("/etc/shadow"); Console.WriteLine("LEAK: read /etc/shadow"); return; }
        catch (Exception) { }
        try {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect("127.0.0.1", 47999);
            if (socket.Connected) { Console.WriteLine("LEAK: connected"); return; }
        }
        catch (Exception) { }
        Console.WriteLine(long.Parse(p[0]) + long.Parse(p[1]));
    }
}
