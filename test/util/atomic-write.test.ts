import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../../src/errors';

// The module reads `fs` through the interop copy made when it loads, so the fs spies below are installed first and
// the module is loaded afresh after them (its errors module too: compare InputError by name, not by class).
type AtomicWrite = typeof import('../../src/util/atomic-write');
function loadWithFs(patch: () => void): AtomicWrite {
  patch();
  let mod: AtomicWrite | undefined;
  jest.isolateModules(() => {
    mod = require('../../src/util/atomic-write') as AtomicWrite;
  });
  return mod!;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require('fs') as typeof fs;

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nst-atomic-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

const entries = () => fs.readdirSync(root).sort();

describe('writeFileAtomic', () => {
  const { writeFileAtomic } = loadWithFs(() => {});

  test('creates a file and replaces one, leaving nothing else in the folder', () => {
    const file = path.join(root, 'out.json');
    writeFileAtomic(file, '{"a":1}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}');
    writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...fs.readFileSync(file)]).toEqual([1, 2, 3]);
    expect(entries()).toEqual(['out.json']);
  });

  test('a failed rename (the target is a folder) removes the temp file and leaves the folder as it was', () => {
    const target = path.join(root, 'taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep.txt'), 'x');
    expect(() => writeFileAtomic(target, 'new')).toThrow();
    expect(entries()).toEqual(['taken']);
    expect(fs.readdirSync(target)).toEqual(['keep.txt']);
  });

  test('short writes are continued until every byte is on disk', () => {
    const realWrite = realFs.writeSync;
    const calls: number[] = [];
    const mod = loadWithFs(() => {
      jest.spyOn(realFs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off: number, len: number) => {
        const n = Math.min(len, 7); // the OS may accept fewer bytes than asked
        calls.push(n);
        return realWrite(fd, buf, off, n);
      }) as unknown as typeof fs.writeSync);
    });
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    const file = path.join(root, 'big.bin');
    mod.writeFileAtomic(file, data);
    expect(calls.length).toBe(15); // ceil(100 / 7)
    expect([...fs.readFileSync(file)]).toEqual([...data]);
  });

  test('a write that fails halfway (disk full) keeps the old content whole and removes the temp file', () => {
    const file = path.join(root, 'model.onnx');
    fs.writeFileSync(file, 'old content');
    const realWrite = realFs.writeSync;
    const mod = loadWithFs(() => {
      jest.spyOn(realFs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off: number, len: number) => {
        if (off > 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return realWrite(fd, buf, off, Math.ceil(len / 2));
      }) as unknown as typeof fs.writeSync);
    });
    expect(() => mod.writeFileAtomic(file, 'a much longer new content')).toThrow(/ENOSPC/);
    expect(fs.readFileSync(file, 'utf8')).toBe('old content');
    expect(entries()).toEqual(['model.onnx']);
  });

  test('the data is fsynced before the rename and the folder after it', () => {
    const order: string[] = [];
    const realFsync = realFs.fsyncSync;
    const realRename = realFs.renameSync;
    const mod = loadWithFs(() => {
      jest.spyOn(realFs, 'fsyncSync').mockImplementation((fd) => {
        order.push(realFs.fstatSync(fd).isDirectory() ? 'fsync dir' : 'fsync file');
        realFsync(fd);
      });
      jest.spyOn(realFs, 'renameSync').mockImplementation((from, to) => {
        order.push('rename');
        realRename(from, to);
      });
    });
    mod.writeFileAtomic(path.join(root, 'a.svg'), '<svg/>');
    expect(order).toEqual(['fsync file', 'rename', 'fsync dir']);
  });
});

describe('replaceDirAtomic', () => {
  const { replaceDirAtomic, writeFileDurable } = loadWithFs(() => {});

  test('replaces a folder whole; a fill that throws leaves the old folder and no temp folder', async () => {
    const target = path.join(root, 'web');
    await replaceDirAtomic(target, (t) => writeFileDurable(path.join(t, 'model.json'), '1'), () => undefined);
    await replaceDirAtomic(target, (t) => writeFileDurable(path.join(t, 'model.json'), '2'), () => undefined);
    expect(fs.readFileSync(path.join(target, 'model.json'), 'utf8')).toBe('2');
    expect(entries()).toEqual(['web']);

    await expect(
      replaceDirAtomic(target, (t) => {
        writeFileDurable(path.join(t, 'model.json'), '3');
        throw new Error('simulated failure while writing the weights');
      }, () => undefined),
    ).rejects.toThrow('simulated failure');
    expect(fs.readdirSync(target)).toEqual(['model.json']);
    expect(fs.readFileSync(path.join(target, 'model.json'), 'utf8')).toBe('2');
    expect(entries()).toEqual(['web']);
  });

  test('refuses to replace what canReplace rejects, touching nothing', async () => {
    const target = path.join(root, 'photos');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'me.jpg'), 'x');
    const fill = jest.fn();
    await expect(replaceDirAtomic(target, fill, () => 'not an export')).rejects.toMatchObject({ name: InputError.name, message: 'not an export' });
    expect(fill).not.toHaveBeenCalled();
    expect(fs.readdirSync(target)).toEqual(['me.jpg']);
  });
});
