#!/usr/bin/env python3
"""The README as a test: runs every shell block and every Java program of
README.md, in order, as a user following it would, and fails on the first
command that fails.

  run_readme.py REPO_ROOT WORK_DIR

WORK_DIR is made afresh and holds links to the checkout's top-level entries,
so the commands see the repository as written ("./softmax4j", "java/...") while
what they write (runs/, customers.csv, *.java, *.class) stays in WORK_DIR.
A ```java block is saved as <its public class>.java; a bare ``` block is shell.
Two lines are not run: the test command itself and the 11-minute benchmark.
"""
import os, re, shutil, subprocess, sys

NOT_RUN = {'./mvnw verify': 'the test command, which runs this',
           'bench/run.sh': 'the benchmark report (~11 minutes)'}


def main(root, work):
    root = os.path.abspath(root)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for entry in os.listdir(root):
        if entry not in ('runs', '.git'):
            os.symlink(os.path.join(root, entry), os.path.join(work, entry))
    text = open(os.path.join(root, 'README.md'), encoding='utf-8').read()
    blocks = re.findall(r'^```(\w*)\n(.*?)^```$', text, re.S | re.M)
    script = ['set -euxo pipefail']
    programs = []
    for lang, body in blocks:
        if lang == 'java':
            name = re.search(r'^public (?:final )?class (\w+)', body, re.M)
            if not name:
                sys.exit('README.md: a java block without a public class:\n' + body)
            with open(os.path.join(work, name.group(1) + '.java'), 'w', encoding='utf-8') as f:
                f.write(body)
            programs.append(name.group(1))
        elif lang == '':
            for line in body.splitlines():
                command = line.split('#')[0].strip()
                why = next((w for k, w in NOT_RUN.items() if command == k or command.startswith(k + ' ')), None)
                if why:
                    print('README: not run: %s (%s)' % (line.strip(), why))
                    continue
                script.append(line)
    javac = ' '.join(l for l in script if re.search(r'\bjavac\b', l))
    for program in programs:
        if program + '.java' not in javac:
            sys.exit('README.md: no javac command compiles %s.java' % program)
    with open(os.path.join(work, 'readme.sh'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(script) + '\n')
    env = dict(os.environ, SOFTMAX4J_CACHE=os.path.join(work, 'cache'))
    env.pop('JAVA_HOME', None)  # as on a user's machine: the README finds the JDK
    print('README: running %d shell lines and %d Java programs in %s' % (len(script) - 1, len(programs), work),
          flush=True)
    rc = subprocess.call(['bash', 'readme.sh'], cwd=work, env=env, stdin=subprocess.DEVNULL)
    if rc != 0:
        sys.exit('README.md: a command failed (exit %d); the trace above ends with it' % rc)
    print('README: every command ran')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
