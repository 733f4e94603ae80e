echo "not ok - todo"; exit 1
