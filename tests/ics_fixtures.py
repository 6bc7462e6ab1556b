"""Calendar files (.ics) in the shapes real exporters write, for the import tests.

Each one is written out as its exporter lays it out (property order, VTIMEZONE blocks, quoted
Windows zone names, folded lines, LF instead of CRLF...), trimmed to what matters. The expected
schedules live beside the tests that use them, written by hand from the times below.

Campus zone in the tests: America/Bogota (UTC-5 all year, no daylight saving time).
"""

from __future__ import annotations

CRLF = "\r\n"


def ics(*lines: str, newline: str = CRLF) -> str:
    return newline.join(lines) + newline


BOGOTA_VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:America/Bogota",
    "X-LIC-LOCATION:America/Bogota",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0500",
    "TZNAME:-05",
    "DTSTART:19700101T000000",
    "END:STANDARD",
    "END:VTIMEZONE",
)

# Google Calendar "Exportar": X-WR-* headers, a VTIMEZONE, recurring events with a TZID, single
# events in UTC, RRULE with UNTIL, an EXDATE, a moved occurrence (RECURRENCE-ID, same UID).
#   Cálculo I   Mon + Wed 7:00-8:30 from 3 Feb to 30 May, not on Mon 17 Mar (EXDATE)
#   Física      Tue + Thu 13:00-15:00 (18:00Z-20:00Z); Thu 20 Feb moved to Fri 21 Feb 16:00-18:00
#   Almuerzo    Mon-Fri 12:00-13:00, marked free (TRANSP:TRANSPARENT)
#   Semana de inducción   all day Mon 3 Feb
#   Taller de escritura   Wed 5 Feb 10:00-12:00, cancelled
#   Examen parcial        Sat 22 Mar 9:00-10:00 (14:00Z-15:00Z)
GOOGLE = ics(
    "BEGIN:VCALENDAR",
    "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
    "VERSION:2.0",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "X-WR-CALNAME:Clases 2025-1",
    "X-WR-TIMEZONE:America/Bogota",
    *BOGOTA_VTIMEZONE,
    "BEGIN:VEVENT",
    "DTSTART;TZID=America/Bogota:20250203T070000",
    "DTEND;TZID=America/Bogota:20250203T083000",
    "RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20250531T045959Z;BYDAY=MO,WE",
    "EXDATE;TZID=America/Bogota:20250317T070000",
    "DTSTAMP:20250201T120000Z",
    "UID:4k2v9a1b3c5d7e9f0g1h2i3j4k@google.com",
    "CREATED:20250120T150312Z",
    "DESCRIPTION:",
    "LAST-MODIFIED:20250125T101500Z",
    "LOCATION:Bloque G - Salón 21",
    "SEQUENCE:0",
    "STATUS:CONFIRMED",
    "SUMMARY:Cálculo I",
    "TRANSP:OPAQUE",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "DTSTART:20250204T180000Z",
    "DTEND:20250204T200000Z",
    "RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20250530T180000Z;BYDAY=TU,TH",
    "DTSTAMP:20250201T120000Z",
    "UID:7f3e1d2c0b9a8f7e6d5c4b3a2f@google.com",
    "CREATED:20250120T151000Z",
    "LAST-MODIFIED:20250218T090000Z",
    "LOCATION:Laboratorio de Física",
    "SEQUENCE:0",
    "STATUS:CONFIRMED",
    "SUMMARY:Física",
    "TRANSP:OPAQUE",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "DTSTART:20250221T210000Z",
    "DTEND:20250221T230000Z",
    "DTSTAMP:20250201T120000Z",
    "UID:7f3e1d2c0b9a8f7e6d5c4b3a2f@google.com",
    "RECURRENCE-ID:20250220T180000Z",
    "CREATED:20250120T151000Z",
    "LAST-MODIFIED:20250218T090000Z",
    "LOCATION:Laboratorio de Física",
    "SEQUENCE:1",
    "STATUS:CONFIRMED",
    "SUMMARY:Física",
    "TRANSP:OPAQUE",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "DTSTART;TZID=America/Bogota:20250203T120000",
    "DTEND;TZID=America/Bogota:20250203T130000",
    "RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20250531T045959Z;BYDAY=MO,TU,WE,TH,FR",
    "DTSTAMP:20250201T120000Z",
    "UID:0a1b2c3d4e5f6a7b8c9d0e1f2a@google.com",
    "SEQUENCE:0",
    "STATUS:CONFIRMED",
    "SUMMARY:Almuerzo",
    "TRANSP:TRANSPARENT",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "DTSTART;VALUE=DATE:20250203",
    "DTEND;VALUE=DATE:20250204",
    "DTSTAMP:20250201T120000Z",
    "UID:1b2c3d4e5f6a7b8c9d0e1f2a3b@google.com",
    "SEQUENCE:0",
    "STATUS:CONFIRMED",
    "SUMMARY:Semana de inducción",
    "TRANSP:TRANSPARENT",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "DTSTART:20250205T150000Z",
    "DTEND:20250205T170000Z",
    "DTSTAMP:20250201T120000Z",
    "UID:2c3d4e5f6a7b8c9d0e1f2a3b4c@google.com",
    "SEQUENCE:2",
    "STATUS:CANCELLED",
    "SUMMARY:Taller de escritura",
    "TRANSP:OPAQUE",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "DTSTART:20250322T140000Z",
    "DTEND:20250322T150000Z",
    "DTSTAMP:20250201T120000Z",
    "UID:3d4e5f6a7b8c9d0e1f2a3b4c5d@google.com",
    "SEQUENCE:0",
    "STATUS:CONFIRMED",
    "SUMMARY:Examen parcial",
    "TRANSP:OPAQUE",
    "END:VEVENT",
    "END:VCALENDAR",
)

# Outlook "Guardar calendario": Windows zone names (quoted) in TZID with their VTIMEZONE
# blocks, COUNT instead of UNTIL, LANGUAGE parameters, Microsoft X- properties.
#   Programación      Tue + Thu 8:30-10:00 Bogota ("SA Pacific Standard Time"), 16 times
#   Reunión de grupo  Fri 15:00-16:00 New York ("Eastern Standard Time"), 12 times: 15:00-16:00
#                     in Bogota until 7 Mar, 14:00-15:00 from 14 Mar (daylight saving time
#                     starts in New York on 9 Mar 2025)
#   Tutoría           Wed 11:00-12:00, BUSYSTATUS FREE (TRANSP:TRANSPARENT)
OUTLOOK = ics(
    "BEGIN:VCALENDAR",
    "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
    "VERSION:2.0",
    "METHOD:PUBLISH",
    "X-CALSTART:20250204T133000Z",
    "X-WR-CALNAME:Calendario",
    "X-MS-OLK-FORCEINSPECTOROPEN:TRUE",
    "BEGIN:VTIMEZONE",
    "TZID:SA Pacific Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16010101T000000",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0500",
    "END:STANDARD",
    "END:VTIMEZONE",
    "BEGIN:VTIMEZONE",
    "TZID:Eastern Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16011104T020000",
    "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
    "TZOFFSETFROM:-0400",
    "TZOFFSETTO:-0500",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010311T020000",
    "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0400",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
    "BEGIN:VEVENT",
    "CLASS:PUBLIC",
    "CREATED:20250115T134512Z",
    'DTEND;TZID="SA Pacific Standard Time":20250204T100000',
    "DTSTAMP:20250130T211532Z",
    'DTSTART;TZID="SA Pacific Standard Time":20250204T083000',
    "LAST-MODIFIED:20250115T134512Z",
    "LOCATION;LANGUAGE=es-CO:Sala de cómputo 3",
    "PRIORITY:5",
    "RRULE:FREQ=WEEKLY;COUNT=16;BYDAY=TU,TH",
    "SEQUENCE:0",
    "SUMMARY;LANGUAGE=es-CO:Programación",
    "TRANSP:OPAQUE",
    "UID:040000008200E00074C5B7101A82E00800000000D0A3C3E1B56ADB0100000000000000001000000",
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
    "X-MICROSOFT-CDO-IMPORTANCE:1",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "CLASS:PUBLIC",
    'DTEND;TZID="Eastern Standard Time":20250207T160000',
    "DTSTAMP:20250130T211532Z",
    'DTSTART;TZID="Eastern Standard Time":20250207T150000',
    "RRULE:FREQ=WEEKLY;COUNT=12;BYDAY=FR",
    "SEQUENCE:0",
    "SUMMARY;LANGUAGE=es-CO:Reunión de grupo",
    "TRANSP:OPAQUE",
    "UID:040000008200E00074C5B7101A82E00800000000E1B4D4F2C67BEC0100000000000000001000000",
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "CLASS:PUBLIC",
    'DTEND;TZID="SA Pacific Standard Time":20250205T120000',
    "DTSTAMP:20250130T211532Z",
    'DTSTART;TZID="SA Pacific Standard Time":20250205T110000',
    "RRULE:FREQ=WEEKLY;COUNT=16;BYDAY=WE",
    "SEQUENCE:0",
    "SUMMARY;LANGUAGE=es-CO:Tutoría",
    "TRANSP:TRANSPARENT",
    "UID:040000008200E00074C5B7101A82E00800000000F2C5E5A3D78CFD0100000000000000001000000",
    "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
    "END:VEVENT",
    "END:VCALENDAR",
)

# Apple Calendar (macOS "Exportar"): a TZID with its VTIMEZONE for one event, floating times
# (no TZID, no Z) for another, X-APPLE properties.
#   Química    Mon 10:00-12:00 Bogota, until 30 May
#   Inglés     Thu 18:00-19:30 floating (campus time), 15 times
#   Gimnasio   Tue 5:00-6:30 floating: ends as the first slot starts
#   Cine       Fri 20:30-22:30 floating: after the last slot
APPLE = ics(
    "BEGIN:VCALENDAR",
    "METHOD:PUBLISH",
    "VERSION:2.0",
    "X-WR-CALNAME:Universidad",
    "PRODID:-//Apple Inc.//macOS 14.2.1//EN",
    "X-APPLE-CALENDAR-COLOR:#1BADF8",
    "CALSCALE:GREGORIAN",
    *BOGOTA_VTIMEZONE,
    "BEGIN:VEVENT",
    "TRANSP:OPAQUE",
    "DTEND;TZID=America/Bogota:20250203T120000",
    "UID:6F1A3C2B-8D4E-4F5A-9B6C-7D8E9F0A1B2C",
    "DTSTAMP:20250115T140000Z",
    "SEQUENCE:1",
    "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
    "SUMMARY:Química",
    "LAST-MODIFIED:20250115T140000Z",
    "DTSTART;TZID=America/Bogota:20250203T100000",
    "CREATED:20250115T135900Z",
    "RRULE:FREQ=WEEKLY;UNTIL=20250531T045959Z",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "TRANSP:OPAQUE",
    "DTEND:20250206T193000",
    "UID:A2B3C4D5-E6F7-4A8B-9C0D-1E2F3A4B5C6D",
    "DTSTAMP:20250115T140000Z",
    "SEQUENCE:0",
    "SUMMARY:Inglés",
    "DTSTART:20250206T180000",
    "CREATED:20250115T140100Z",
    "RRULE:FREQ=WEEKLY;COUNT=15",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "TRANSP:OPAQUE",
    "DTEND:20250204T063000",
    "UID:B3C4D5E6-F7A8-4B9C-0D1E-2F3A4B5C6D7E",
    "DTSTAMP:20250115T140000Z",
    "SUMMARY:Gimnasio",
    "DTSTART:20250204T050000",
    "RRULE:FREQ=WEEKLY;COUNT=10",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "TRANSP:OPAQUE",
    "DTEND:20250207T223000",
    "UID:C4D5E6F7-A8B9-4C0D-1E2F-3A4B5C6D7E8F",
    "DTSTAMP:20250115T140000Z",
    "SUMMARY:Cine",
    "DTSTART:20250207T203000",
    "END:VEVENT",
    "END:VCALENDAR",
)

# A university portal's export: every class meeting as its own VEVENT (no RRULE), times in UTC,
# long summaries folded at 75 octets, LF line ends. The semester starts on a Wednesday, so its
# first week is short.
#   ESTRUCTURAS DE DATOS   Mon + Wed 9:30-11:20 (14:30Z-16:20Z)
#   CÁLCULO II             Fri 14:30-16:20 (19:30Z-21:20Z)
#   weeks: 5-9 Feb  Wed, Fri;  10-16 Feb  Mon, Wed, Fri;  17-23 Feb  Mon, Wed, Fri
_PORTAL_MEETINGS = (
    ("20250205T143000Z", "20250205T162000Z", "ed"),
    ("20250207T193000Z", "20250207T212000Z", "c2"),
    ("20250210T143000Z", "20250210T162000Z", "ed"),
    ("20250212T143000Z", "20250212T162000Z", "ed"),
    ("20250214T193000Z", "20250214T212000Z", "c2"),
    ("20250217T143000Z", "20250217T162000Z", "ed"),
    ("20250219T143000Z", "20250219T162000Z", "ed"),
    ("20250221T193000Z", "20250221T212000Z", "c2"),
)
_PORTAL_SUMMARIES = {
    # Folded as the portal writes them: CRLF-less LF ends, a space starts each continuation.
    "ed": (
        "SUMMARY:ESTRUCTURAS DE DATOS - NRC 2345 - GRUPO 01 - PROF. MARÍA FERNANDA RO",
        " DRÍGUEZ",
    ),
    "c2": (
        "SUMMARY:CÁLCULO II - NRC 1187 - GRUPO 03 - PROF. JUAN CARLOS PÉREZ GÓMEZ -",
        "  BLOQUE K",
    ),
}
PORTAL_SUMMARY_ED = "ESTRUCTURAS DE DATOS - NRC 2345 - GRUPO 01 - PROF. MARÍA FERNANDA RODRÍGUEZ"
PORTAL_SUMMARY_C2 = "CÁLCULO II - NRC 1187 - GRUPO 03 - PROF. JUAN CARLOS PÉREZ GÓMEZ - BLOQUE K"


def _portal_event(index: int, start: str, end: str, course: str) -> tuple[str, ...]:
    return (
        "BEGIN:VEVENT",
        f"UID:portal-2025-1-{course}-{index}@horarios.universidad.edu.co",
        "DTSTAMP:20250130T120000Z",
        f"DTSTART:{start}",
        f"DTEND:{end}",
        *_PORTAL_SUMMARIES[course],
        "DESCRIPTION:Horario generado por el portal académico. Consulte cambios de salón",
        "  en la plataforma institucional antes de cada sesión.",
        "LOCATION:Bloque K - 21K",
        "END:VEVENT",
    )


PORTAL = ics(
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Universidad//Portal Academico Horarios 3.2//ES",
    *(
        line
        for index, (start, end, course) in enumerate(_PORTAL_MEETINGS)
        for line in _portal_event(index, start, end, course)
    ),
    "END:VCALENDAR",
    newline="\n",
)

# Events crossing midnight, floating times.
#   Turno de biblioteca   Sat 8 Feb 19:00 -> Sun 9 Feb 7:00
#   Guardia               Sun 9 Feb 20:00 -> Mon 10 Feb 7:00 (crosses into the next week)
MIDNIGHT = ics(
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Apple Inc.//macOS 14.2.1//EN",
    "BEGIN:VEVENT",
    "UID:night-1",
    "DTSTAMP:20250115T140000Z",
    "DTSTART:20250208T190000",
    "DTEND:20250209T070000",
    "SUMMARY:Turno de biblioteca",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:night-2",
    "DTSTAMP:20250115T140000Z",
    "DTSTART:20250209T200000",
    "DTEND:20250210T070000",
    "SUMMARY:Guardia",
    "END:VEVENT",
    "END:VCALENDAR",
)

# A semester abroad: the timetable is in Madrid time, the campus in Bogota. Madrid moves to
# summer time on Sunday 30 March 2025 (UTC+1 -> UTC+2); Bogota does not move.
#   Historia del arte   Mon 15:00-17:00 Madrid, 3 Mar to 28 Apr:
#                       9:00-11:00 in Bogota until 24 Mar, 8:00-10:00 from 31 Mar
MADRID = ics(
    "BEGIN:VCALENDAR",
    "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
    "VERSION:2.0",
    "CALSCALE:GREGORIAN",
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Madrid",
    "X-LIC-LOCATION:Europe/Madrid",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
    "BEGIN:VEVENT",
    "DTSTART;TZID=Europe/Madrid:20250303T150000",
    "DTEND;TZID=Europe/Madrid:20250303T170000",
    "RRULE:FREQ=WEEKLY;UNTIL=20250428T220000Z;BYDAY=MO",
    "DTSTAMP:20250201T120000Z",
    "UID:madrid-arte@google.com",
    "SUMMARY:Historia del arte",
    "END:VEVENT",
    "END:VCALENDAR",
)


def single_event(*properties: str, summary: str = "Clase") -> str:
    """A one-event calendar with the given DTSTART/DTEND/RRULE... lines, for edge cases."""
    return ics(
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//GapFind tests//ES",
        "BEGIN:VEVENT",
        "UID:edge-case@gapfind",
        "DTSTAMP:20250101T000000Z",
        f"SUMMARY:{summary}",
        *properties,
        "END:VEVENT",
        "END:VCALENDAR",
    )
