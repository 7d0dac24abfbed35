using System.Collections.Generic;
class Program {
    static void Main() {
        var kept = new List<byte[]>();
        while (true) {
            var b = new byte[10000000];
            for (int i = 0; i < b.Length; i++) b[i] = 1;
            kept.Add(b);
        }
    }
}
