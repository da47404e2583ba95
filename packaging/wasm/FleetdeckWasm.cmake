# The browser console's executable (DESIGN.md §10): what Qt 5.15's qmake would add to a WebAssembly
# application, for a CMake build. Used by app/CMakeLists.txt when EMSCRIPTEN is set:
#   include(${PROJECT_SOURCE_DIR}/packaging/wasm/FleetdeckWasm.cmake)
#   fleetdeck_wasm_application(fleetdeck QML_DIR ${PROJECT_SOURCE_DIR}/qml)
# It produces <target>.js and <target>.wasm (the linker), <target>.html and qtloader.js (the page).

set(FLEETDECK_WASM_DIR ${CMAKE_CURRENT_LIST_DIR})

function(fleetdeck_wasm_application target)
  cmake_parse_arguments(arg "" "QML_DIR" "" ${ARGN})

  # Qt 5.15's wasm mkspec (mkspecs/wasm-emscripten/qmake.conf, features/wasm/wasm.prf) links with
  # these, but EXIT_RUNTIME=1: under emscripten 3.x that ends the application after main() returns
  # into the browser's loop, that is after its first frame.
  target_link_options(${target} PRIVATE
    -sWASM=1 -sFULL_ES2=1 -sFULL_ES3=1 -sUSE_WEBGL2=1 -sEXIT_RUNTIME=0 -sERROR_ON_UNDEFINED_SYMBOLS=1
    -sEXPORTED_RUNTIME_METHODS=UTF16ToString,stringToUTF16 --bind -sFETCH=1 -sALLOW_MEMORY_GROWTH=1)
  if(CMAKE_BUILD_TYPE STREQUAL "Debug")
    target_link_options(${target} PRIVATE -sASSERTIONS=2 -sDEMANGLE_SUPPORT=1)
  else()
    target_link_options(${target} PRIVATE -O2)
  endif()

  # A static Qt needs its QML plugins linked and imported by name; Qt's scanner finds which from the
  # imports of the QML files (they live in resources, so scan the sources).
  find_package(Qt5 REQUIRED COMPONENTS QmlImportScanner)
  qt5_import_qml_plugins(${target} PATH_TO_SCAN ${arg_QML_DIR})

  # The page: our shell (a loading screen with progress) and Qt's loader, next to the .js and .wasm.
  get_filename_component(qt_prefix "${Qt5Core_DIR}/../../.." ABSOLUTE)
  set(loader ${qt_prefix}/plugins/platforms/qtloader.js)
  if(NOT EXISTS ${loader})
    message(FATAL_ERROR "${loader} not found: is ${qt_prefix} Qt 5.15 for WebAssembly "
                        "(packaging/wasm/build-toolchain.sh)?")
  endif()
  set(out $<TARGET_FILE_DIR:${target}>)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DIN=${FLEETDECK_WASM_DIR}/shell.html -DOUT=${out}/${target}.html
            -DAPPNAME=${target} -P ${FLEETDECK_WASM_DIR}/configure-shell.cmake
    COMMAND ${CMAKE_COMMAND} -E copy ${loader} ${out}/qtloader.js
    COMMENT "Browser page for ${target}: ${target}.html, qtloader.js"
    VERBATIM)
endfunction()
