# cmake -DIN=shell.html -DOUT=app.html -DAPPNAME=app -P configure-shell.cmake: the page of a browser
# build, with @APPNAME@ replaced (run at build time by FleetdeckWasm.cmake).
configure_file(${IN} ${OUT} @ONLY)
