<?php
$a = ;
echo $a;
