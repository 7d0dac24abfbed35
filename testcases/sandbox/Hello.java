import java.util.*;

public class Hello {
    public static void main(String[] args) throws Exception {
        List<Integer> xs = new ArrayList<>();
        Thread t = new Thread(() -> xs.add(42));
        t.start();
        t.join();
        System.out.println("hello from java " + xs.get(0));
    }
}
