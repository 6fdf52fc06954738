# hiedge_module(): the include paths are the layering.
#
#   hiedge_module(<target>
#     SOURCE_DIRS    <folders under src/ whose .h the target's own sources include>
#     PUBLIC_HEADERS <public headers, relative to include/, e.g. hiedge/server/server.h>
#     EXPORTS        <internal headers, relative to src/, that the targets linking this one
#                     may include: a module's interface to other modules, never installed>)
#
# A target sees exactly:
#   - its own internal headers ("server/grpc_guard.h"), privately;
#   - the public headers of itself and of every target it links ("hiedge/server/server.h");
#   - the internal headers those targets export on purpose ("common/files.h").
# Each set is a folder of symbolic links in the build tree that holds only those files,
# so a header of a module the target does not link is not on any of its include paths:
# including it fails to compile (tests/layering checks that it does). Installed
# consumers get <prefix>/include, which holds the public headers only.
function(hiedge_stage_files stage base)
  foreach(relative IN LISTS ARGN)
    get_filename_component(parent ${stage}/${relative} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${base}/${relative} ${stage}/${relative} SYMBOLIC)
  endforeach()
endfunction()

function(hiedge_module target)
  cmake_parse_arguments(ARG "" "" "SOURCE_DIRS;PUBLIC_HEADERS;EXPORTS" ${ARGN})
  set(stage ${PROJECT_BINARY_DIR}/include_stage/${target})
  file(REMOVE_RECURSE ${stage})

  set(internal)
  foreach(dir IN LISTS ARG_SOURCE_DIRS)
    file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/src
         ${PROJECT_SOURCE_DIR}/src/${dir}/*.h)
    list(APPEND internal ${headers})
  endforeach()
  hiedge_stage_files(${stage}/private ${PROJECT_SOURCE_DIR}/src ${internal})
  hiedge_stage_files(${stage}/exported ${PROJECT_SOURCE_DIR}/src ${ARG_EXPORTS})
  hiedge_stage_files(${stage}/public ${PROJECT_SOURCE_DIR}/include ${ARG_PUBLIC_HEADERS})
  file(MAKE_DIRECTORY ${stage}/private ${stage}/exported ${stage}/public)

  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${stage}/public> $<BUILD_INTERFACE:${stage}/exported>
           $<INSTALL_INTERFACE:include>
    PRIVATE ${stage}/private)
  target_compile_options(${target} PRIVATE ${HIEDGE_WARNINGS})
  # For tests/layering: what one of this module's own sources sees.
  set_property(GLOBAL PROPERTY HIEDGE_MODULE_${target} ${stage})
endfunction()

# The public headers of include/hiedge/<folder>/, minus those another target owns.
function(hiedge_public_headers out folder)
  cmake_parse_arguments(ARG "" "" "EXCEPT" ${ARGN})
  file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/include
       ${PROJECT_SOURCE_DIR}/include/hiedge/${folder}/*.h)
  foreach(name IN LISTS ARG_EXCEPT)
    list(REMOVE_ITEM headers hiedge/${folder}/${name})
  endforeach()
  set(${out} ${headers} PARENT_SCOPE)
endfunction()

# hiedge_self_register(<target> <registrar.cc>): linking <target> registers what it
# offers. The registrar (a static initialiser calling the target's Register*()) is an
# INTERFACE source, so it is compiled into each program that links <target>, directly or
# through PUBLIC links, and cannot be dropped by the linker the way an unreferenced
# object of a static library would be. Registries are function-local statics and
# registering twice replaces an entry with itself, so explicit calls stay harmless.
# Build tree only: installed consumers call the Register*() function.
function(hiedge_self_register target registrar)
  target_sources(${target} INTERFACE
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/${registrar}>)
endfunction()

# Drops the registrar from a folder's globbed sources (it belongs to the consumers).
macro(hiedge_exclude_registrar sources)
  list(FILTER ${sources} EXCLUDE REGEX "/self_register\\.cc$")
endmacro()
