import java.io.*;

public class Flood {
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out)));
        char[] chunk = new char[1 << 20];
        java.util.Arrays.fill(chunk, '7');
        for (int i = 0; i < 64; i++) out.println(chunk);
        out.flush();
    }
}
