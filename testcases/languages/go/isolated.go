// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	var a, b int64
	fmt.Scan(&a, &b)
	if _, err := os.ReadFile("/etc/shadow"); err == nil {
		fmt.Println("LEAK: read /etc/shadow")
		return
	}
	if c, err := net.Dial("tcp", "127.0.0.1:47999"); err == nil {
		c.Close()
		fmt.Println("LEAK: connected")
		return
	}
	fmt.Println(a + b)
}
