<?php
throw new Exception('no answer');
