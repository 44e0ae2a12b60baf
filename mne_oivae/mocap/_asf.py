"""Acclaim skeleton files (.asf): the :class:`Skeleton` and its reader."""

import re
from dataclasses import dataclass

import numpy as np

from ._text import LineCursor, to_float, to_floats

_ROTATIONS = ("rx", "ry", "rz")
_ROOT_CHANNELS = ("tx", "ty", "tz", "rx", "ry", "rz")
_LIMIT_PAIR = re.compile(r"\(\s*(\S+)\s+(\S+)\s*\)")
_LIMITS_LINE = re.compile(r"(?:\s*\(\s*\S+\s+\S+\s*\)\s*)+")


@dataclass(frozen=True, eq=False)
class Bone:
    """One bone of an Acclaim skeleton (the root is a bone of length 0).

    Attributes
    ----------
    name : str
        Bone name, e.g. ``"lfemur"``.
    direction : ndarray, shape (3,)
        Unit vector from the bone's start to its end, in world coordinates of the
        zero pose.
    length : float
        Bone length in file units (see :attr:`Skeleton.units`).
    axis : ndarray, shape (3,)
        Orientation of the bone's local frame (Euler angles, degrees).
    axis_order : str
        Order in which the ``axis`` rotations are applied, e.g. ``"XYZ"``.
    dof : tuple of str
        Degrees of freedom in channel order: ``"rx"``, ``"ry"``, ``"rz"`` (and
        ``"tx"``, ``"ty"``, ``"tz"`` for the root). Empty for rigid bones.
    limits : ndarray, shape (n_dof, 2)
        Lower and upper limit of every degree of freedom (degrees for rotations).
    parent : str | None
        Name of the parent bone, ``None`` for the root.

    Examples
    --------
    >>> skeleton = read_asf("07.asf")  # doctest: +SKIP
    >>> skeleton.bones["lfemur"]  # doctest: +SKIP
    <Bone 'lfemur' | parent 'lhipjoint', length 7.16, dof rx ry rz>
    """

    name: str
    direction: np.ndarray
    length: float
    axis: np.ndarray
    axis_order: str
    dof: tuple
    limits: np.ndarray
    parent: str | None

    def __repr__(self):
        return (f"<Bone {self.name!r} | parent {self.parent!r}, length "
                f"{self.length:g}, dof {' '.join(self.dof) or 'none'}>")


class Skeleton:
    """An Acclaim (CMU) skeleton: bones, degrees of freedom, hierarchy and units.

    Usually created by :func:`read_asf`.

    Parameters
    ----------
    bones : list of Bone
        The bones, root first, in file order. Every parent must be in the list.
    name : str
        Skeleton name from the file's ``:name`` entry.
    units : dict
        ``{"mass": float, "length": float, "angle": "deg"}``. Angles are stored in
        degrees whatever the file used; ``length`` is the file's length scale (CMU:
        lengths divided by it are inches).
    position : array-like, shape (3,)
        Position of the root in the zero pose.

    Attributes
    ----------
    bones : dict
        Bone name -> :class:`Bone`, root first, in file order.
    channel_names : list of str
        ``"<bone>_<dof>"`` for every degree of freedom, e.g. ``"lfemur_rx"``: the
        column order of :attr:`Motion.data`.

    Examples
    --------
    >>> skeleton = read_asf("07.asf")  # doctest: +SKIP
    >>> skeleton.bones["ltibia"].dof  # doctest: +SKIP
    ('rx',)
    """

    def __init__(self, bones, *, name="", units=None, position=(0.0, 0.0, 0.0)):
        self.bones = {bone.name: bone for bone in bones}
        if len(self.bones) != len(bones) or bones[0].parent is not None:
            raise ValueError("bones must have unique names and start with the root")
        self.name = name
        self.units = dict(mass=1.0, length=1.0, angle="deg") if units is None else units
        self.position = np.asarray(position, dtype=np.float64)
        names = list(self.bones)
        self.parents = np.array(
            [-1 if b.parent is None else names.index(b.parent) for b in bones])
        self.channel_names = [f"{b.name}_{d}" for b in bones for d in b.dof]
        self.channel_bones = np.repeat(np.arange(len(bones)),
                                       [len(b.dof) for b in bones])

    @property
    def bone_names(self):
        """Bone names, root first, in file order."""
        return list(self.bones)

    @property
    def n_channels(self):
        """Number of degrees of freedom of the whole skeleton."""
        return len(self.channel_names)

    def __len__(self):
        return len(self.bones)

    def __repr__(self):
        n_dof = sum(bool(b.dof) for b in self.bones.values())
        return (f"<Skeleton {self.name!r} | {len(self)} bones, {n_dof} with degrees of "
                f"freedom, {self.n_channels} channels>")


def read_asf(fname):
    """Read an Acclaim skeleton file (``.asf``), as used by the CMU mocap database.

    Parameters
    ----------
    fname : path-like
        The ``.asf`` file.

    Returns
    -------
    skeleton : Skeleton
        Bones (direction, length, axis, degrees of freedom, limits), hierarchy and
        units. Angles are converted to degrees if the file uses radians.

    Raises
    ------
    MocapParseError
        If the file is malformed; the message names the file, the line and what
        was expected there.

    See Also
    --------
    read_amc, load_cmu_trials

    Examples
    --------
    >>> from mne_oivae.mocap import read_asf
    >>> skeleton = read_asf("07.asf")  # doctest: +SKIP
    >>> skeleton.bone_names[:3]  # doctest: +SKIP
    ['root', 'lhipjoint', 'lfemur']
    """
    return _ASFParser(fname).parse()


class _ASFParser(LineCursor):
    """Line-oriented reader of the ASF sections, keeping line numbers for errors."""

    def __init__(self, fname):
        super().__init__(fname, comment="#")
        self.units = dict(mass=1.0, length=1.0, angle="deg")
        self.name = ""
        self.bone_entries = {
            "id": self.bone_id, "name": self.bone_name, "direction": self.bone_direction,
            "length": self.bone_length, "axis": self.bone_axis, "dof": self.bone_dof,
            "limits": self.bone_limits, "bodymass": self.bone_bodymass,
            "cofmass": self.bone_cofmass}

    def section_lines(self):
        """Yield the lines up to the next ``:keyword`` line."""
        while self.pos < len(self.lines) and not self.peek()[1][0].startswith(":"):
            yield self.next("a line")

    # -- sections -------------------------------------------------------------------
    def parse(self):
        handlers = {":version": self.skip_line, ":name": self.parse_name,
                    ":namespace": self.skip_line, ":units": self.parse_units,
                    ":documentation": self.skip_section, ":root": self.parse_root,
                    ":bonedata": self.parse_bonedata, ":hierarchy": self.parse_hierarchy}
        seen = {}
        while self.pos < len(self.lines):
            lineno, tokens = self.next("a section")
            key = tokens[0].lower()
            if key not in handlers:
                raise self.error(lineno, "a section keyword (one of "
                                 f"{', '.join(handlers)})", tokens[0])
            if key in seen:
                raise self.error(lineno, f"a single {key} section (the first one is on "
                                 f"line {seen[key]})", tokens[0])
            seen[key] = lineno
            handlers[key](lineno, tokens)
        for key in (":root", ":bonedata", ":hierarchy"):
            if key not in seen:
                raise self.error(None, f"a {key} section, but the file has none")
        return self.build()

    def skip_line(self, lineno, tokens):
        pass

    def skip_section(self, lineno, tokens):
        for _ in self.section_lines():
            pass

    def parse_name(self, lineno, tokens):
        self.name = " ".join(tokens[1:])

    def parse_units(self, lineno, tokens):
        for lineno, tokens in self.section_lines():
            key = tokens[0].lower()
            if len(tokens) != 2 or key not in ("mass", "length", "angle"):
                raise self.error(lineno, "a unit line 'mass <x>', 'length <x>' or "
                                 "'angle deg|rad'", " ".join(tokens))
            if key == "angle":
                if tokens[1].lower() not in ("deg", "rad"):
                    raise self.error(lineno, "angle unit 'deg' or 'rad'", tokens[1])
                self.units["angle"] = tokens[1].lower()
                continue
            value = to_float(tokens[1], self.fname, lineno, f"a positive {key} unit")
            if value <= 0:
                raise self.error(lineno, f"a positive {key} unit", tokens[1])
            self.units[key] = value

    def parse_root(self, lineno, tokens):
        fields = {}
        for lineno, tokens in self.section_lines():
            key = tokens[0].lower()
            if key not in ("order", "axis", "position", "orientation") or key in fields:
                raise self.error(lineno, "one each of the root entries 'order', 'axis', "
                                 "'position' and 'orientation'", tokens[0])
            fields[key] = (lineno, tokens[1:])
        for key in ("order", "axis"):
            if key not in fields:
                raise self.error(lineno, f"a root '{key}' entry before line {lineno + 1}")
        order_line, order = fields["order"]
        order = tuple(t.lower() for t in order)
        if sorted(order) != sorted(_ROOT_CHANNELS):
            raise self.error(order_line, "a root order with each of TX TY TZ RX RY RZ "
                             "once", " ".join(order).upper())
        axis_line, axis = fields["axis"]
        self.root_axis = self.axis_order(axis, axis_line)
        self.root_order = order
        self.root_position, self.root_orientation = (
            np.array(to_floats(fields[key][1], 3, self.fname, fields[key][0],
                               f"3 numbers after '{key}'"))
            if key in fields else np.zeros(3) for key in ("position", "orientation"))

    def parse_bonedata(self, lineno, tokens):
        self.bone_fields = []
        for lineno, tokens in self.section_lines():
            if tokens != ["begin"]:
                raise self.error(lineno, "'begin' opening a bone", " ".join(tokens))
            self.bone_fields.append(self.parse_bone(lineno))

    def parse_bone(self, begin_line):
        fields = {}
        while True:
            lineno, tokens = self.next("'end' closing the bone opened on line "
                                       f"{begin_line}")
            key = tokens[0].lower()
            if key == "end" and len(tokens) == 1:
                break
            handler = self.bone_entries.get(key)
            if handler is None or key in fields:
                raise self.error(lineno, "one each of the bone entries id, name, "
                                 "direction, length, axis, dof, limits, bodymass, "
                                 "cofmass, or 'end'", tokens[0])
            fields[key] = handler(lineno, tokens[1:], fields)
        for key in ("name", "direction", "length", "axis"):
            if key not in fields:
                raise self.error(lineno, f"a '{key}' entry in the bone opened on line "
                                 f"{begin_line}", "end")
        n_dof = len(fields.get("dof", ()))
        if "limits" in fields and len(fields["limits"]) != n_dof:
            raise self.error(lineno, f"{n_dof} limit pair(s), one per dof, in the bone "
                             f"opened on line {begin_line}", f"{len(fields['limits'])}")
        fields["lineno"] = begin_line
        return fields

    def bone_id(self, lineno, values, fields):
        if len(values) != 1 or not values[0].isascii() or not values[0].isdigit():
            raise self.error(lineno, "a non-negative integer after 'id'", " ".join(values))

    def bone_name(self, lineno, values, fields):
        if len(values) != 1 or values[0].lower() == "root":
            raise self.error(lineno, "one bone name other than 'root' after 'name'",
                             " ".join(values))
        return values[0]

    def bone_direction(self, lineno, values, fields):
        direction = np.array(to_floats(values, 3, self.fname, lineno,
                                       "3 numbers after 'direction'"))
        norm = np.linalg.norm(direction)
        if not 0.99 < norm < 1.01:  # the files round to ~6 digits
            raise self.error(lineno, "a unit direction vector", " ".join(values))
        return direction / norm

    def bone_length(self, lineno, values, fields):
        length = to_floats(values, 1, self.fname, lineno,
                           "one non-negative number after 'length'")[0]
        if length < 0:
            raise self.error(lineno, "one non-negative number after 'length'", values[0])
        return length

    def bone_axis(self, lineno, values, fields):
        what = "3 angles and a rotation order after 'axis'"
        if len(values) != 4:
            raise self.error(lineno, what, " ".join(values))
        angles = to_floats(values[:3], 3, self.fname, lineno, what)
        return np.array(angles), self.axis_order(values[3:], lineno)

    def bone_dof(self, lineno, values, fields):
        dof = tuple(v.lower() for v in values)
        if not dof or len(set(dof)) != len(dof) or not set(dof) <= set(_ROTATIONS):
            raise self.error(lineno, "distinct rotational dof among rx, ry, rz after "
                             "'dof'", " ".join(values))
        return dof

    def bone_limits(self, lineno, values, fields):
        if "dof" not in fields:
            raise self.error(lineno, "'dof' before 'limits'", "limits")
        text = [(lineno, " ".join(values))]
        while (len(_LIMIT_PAIR.findall(" ".join(t for _, t in text)))
               < len(fields["dof"]) and self.peek()[1] is not None
               and self.peek()[1][0].startswith("(")):
            cont_line, tokens = self.next("a limit pair")
            text.append((cont_line, " ".join(tokens)))
        limits = []
        for where, line in text:
            if not line and where == lineno:  # all pairs on the following lines
                continue
            if not _LIMITS_LINE.fullmatch(line):
                raise self.error(where, "limit pairs '(<lower> <upper>)'", line)
            for lower, upper in _LIMIT_PAIR.findall(line):
                pair = [to_float(v, self.fname, where, "numbers (or inf) in a limit pair",
                                 allow_inf=True) for v in (lower, upper)]
                if pair[0] > pair[1]:
                    raise self.error(where, "a limit pair with lower <= upper", line)
                limits.append(pair)
        return limits

    def bone_bodymass(self, lineno, values, fields):
        to_floats(values, 1, self.fname, lineno, "one number after 'bodymass'")

    def bone_cofmass(self, lineno, values, fields):
        to_floats(values, 1, self.fname, lineno, "one number after 'cofmass'")

    def axis_order(self, values, lineno):
        if len(values) != 1 or sorted(values[0].upper()) != ["X", "Y", "Z"]:
            raise self.error(lineno, "a rotation order such as XYZ", " ".join(values))
        return values[0].upper()

    def parse_hierarchy(self, lineno, tokens):
        lineno, tokens = self.next("'begin' opening the hierarchy")
        if tokens != ["begin"]:
            raise self.error(lineno, "'begin' opening the hierarchy", " ".join(tokens))
        self.parent_of = {}
        while True:
            lineno, tokens = self.next("'end' closing the hierarchy")
            if tokens == ["end"]:
                break
            if len(tokens) < 2:
                raise self.error(lineno, "a parent followed by its children",
                                 " ".join(tokens))
            for child in tokens[1:]:
                if child in self.parent_of:
                    raise self.error(lineno, f"one parent for '{child}' (already a child "
                                     f"of '{self.parent_of[child][0]}')", tokens[0])
                self.parent_of[child] = (tokens[0], lineno)
        self.hierarchy_end = lineno

    # -- assembly -------------------------------------------------------------------
    def build(self):
        to_deg = np.rad2deg if self.units["angle"] == "rad" else np.asarray
        order = [b["name"] for b in self.bone_fields]
        seen = {}
        for fields in self.bone_fields:
            if fields["name"] in seen:
                raise self.error(fields["lineno"], f"a unique bone name ('{fields['name']}'"
                                 f" is also defined on line {seen[fields['name']]})")
            seen[fields["name"]] = fields["lineno"]
        known = set(order) | {"root"}
        for child, (parent, lineno) in self.parent_of.items():
            for name in (child, parent):
                if name not in known:
                    raise self.error(lineno, "bone names defined in :bonedata in the "
                                     "hierarchy", name)
            if child == "root":
                raise self.error(lineno, "'root' never to be a child", child)
        for name in order:
            if name not in self.parent_of:
                raise self.error(self.hierarchy_end, f"a hierarchy line giving the parent "
                                 f"of '{name}' before 'end'", "end")
        self.check_reachable(order)
        root_limits = np.tile([-np.inf, np.inf], (len(self.root_order), 1))
        bones = [Bone("root", np.zeros(3), 0.0, to_deg(self.root_orientation),
                      self.root_axis, self.root_order, root_limits, None)]
        for fields in self.bone_fields:
            dof = fields.get("dof", ())
            limits = np.array(fields.get("limits", [[-np.inf, np.inf]] * len(dof)),
                              dtype=np.float64).reshape(len(dof), 2)
            axis, axis_order = fields["axis"]
            bones.append(Bone(fields["name"], fields["direction"], fields["length"],
                              to_deg(axis), axis_order, dof, to_deg(limits),
                              self.parent_of[fields["name"]][0]))
        units = dict(self.units, angle="deg")
        return Skeleton(bones, name=self.name, units=units, position=self.root_position)

    def check_reachable(self, order):
        children = {}
        for child, (parent, _) in self.parent_of.items():
            children.setdefault(parent, []).append(child)
        reached, stack = set(), ["root"]
        while stack:
            name = stack.pop()
            reached.add(name)
            stack.extend(children.get(name, ()))
        for name in order:
            if name not in reached:
                parent, lineno = self.parent_of[name]
                raise self.error(lineno, f"a hierarchy connecting '{name}' to the root "
                                 "(it sits on a cycle)", f"{parent} {name}")
