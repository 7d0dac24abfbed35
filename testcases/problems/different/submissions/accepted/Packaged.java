// Accepted, in a package: the class runs as contest.solutions.Packaged.
package contest.solutions;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.StringTokenizer;

public class Packaged {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            StringTokenizer t = new StringTokenizer(line);
            if (!t.hasMoreTokens()) continue;
            long a = Long.parseLong(t.nextToken()), b = Long.parseLong(t.nextToken());
            out.append(Math.abs(a - b)).append('\n');
        }
        System.out.print(out);
    }
}
