# Sourced by ./mvnw and ./softmax4j: sets JAVA_HOME to a JDK 22+.
# Order: $JAVA_HOME if new enough, Temurin 25 where Debian/Ubuntu put it,
# any JDK 22+ under /usr/lib/jvm, then `java` on the PATH.
s4j_java_major() { # prints the feature version of $1/bin/java, or 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1 | grep . || echo 0
}
s4j_find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    if [ "$(s4j_java_major "$candidate")" -ge 22 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if [ "$(s4j_java_major "$candidate")" -ge 22 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  fi
  echo "softmax4j needs a JDK 22 or newer (the default java here is older)." >&2
  echo "Install one (e.g. Temurin 25) or point JAVA_HOME at it." >&2
  return 1
}
