package main

import "fmt"

func main() {
	var kept [][]byte
	for {
		b := make([]byte, 10<<20)
		for i := range b {
			b[i] = 1
		}
		kept = append(kept, b)
		if len(kept) < 0 {
			fmt.Println(len(kept))
		}
	}
}
