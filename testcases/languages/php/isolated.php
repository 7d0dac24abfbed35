<?php
// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
[$a, $b] = array_map('intval', preg_split('/\s+/', trim(fgets(STDIN))));
if (@file_get_contents('/etc/shadow') !== false) { echo "LEAK: read /etc/shadow\n"; exit(0); }
if (@fsockopen('127.0.0.1', 47999, $errno, $errstr, 1)) { echo "LEAK: connected\n"; exit(0); }
echo $a + $b, "\n";
