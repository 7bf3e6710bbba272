# Records the git commit and build settings for the environment block of every result.
# Configure-time values: re-run cmake (make does so) to refresh the commit.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE TB_GIT_COMMIT
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE tb_git_rc)
if(NOT tb_git_rc EQUAL 0 OR TB_GIT_COMMIT STREQUAL "")
  set(TB_GIT_COMMIT "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE tb_git_dirty
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT tb_git_dirty STREQUAL "")
    string(APPEND TB_GIT_COMMIT "-dirty")
  endif()
endif()
set(TB_BUILD_TYPE "${CMAKE_BUILD_TYPE}")
if(TRAINBENCH_SANITIZE)
  string(APPEND TB_BUILD_TYPE "+asan+ubsan")
endif()
configure_file(${CMAKE_SOURCE_DIR}/src/common/build_info.h.in
  ${CMAKE_BINARY_DIR}/generated/trainbench/build_info.h @ONLY)
