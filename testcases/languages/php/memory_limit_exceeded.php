<?php
$kept = [];
while (true) { $kept[] = str_repeat('x', 10000000) . count($kept); }
