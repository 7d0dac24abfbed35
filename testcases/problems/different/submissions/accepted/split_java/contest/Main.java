// Accepted: a directory of two classes in a package; the one with main runs (contest.Main).
package contest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.StringTokenizer;

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            StringTokenizer t = new StringTokenizer(line);
            if (!t.hasMoreTokens()) continue;
            out.append(Distance.between(Long.parseLong(t.nextToken()), Long.parseLong(t.nextToken())))
               .append('\n');
        }
        System.out.print(out);
    }
}
