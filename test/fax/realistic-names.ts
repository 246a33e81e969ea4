// Deterministic supporter names shaped like a real urgent-action list: British, Irish, Russian (Cyrillic),
// Spanish and Polish names with their usual lengths, middle names, double-barrelled and double surnames.

interface Population {
  weight: number;
  name: (pick: <T>(list: readonly T[]) => T, chance: (p: number) => boolean) => string;
}

function list(text: string): string[] {
  return text.trim().split(/,\s*/u);
}

const BRITISH_FIRST = list(`
  Oliver, George, Harry, Jack, Charlie, Thomas, James, William, Daniel, Samuel, Christopher,
  Alexander, Matthew, Jonathan, Benjamin, Edward, Joseph, David, Michael, Paul, Olivia, Amelia, Isla,
  Emily, Sophie, Charlotte, Elizabeth, Jessica, Rebecca, Hannah, Margaret, Catherine, Victoria,
  Eleanor, Lucy, Ruth, Sarah, Rachel, Jane, Anne
`);
const BRITISH_LAST = list(`
  Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, Wright, Thompson, Evans,
  Walker, White, Roberts, Green, Hall, Wood, Jackson, Clarke, Patel, Khan, Hughes, Edwards, Harrison,
  Lewis, Turner, Hill, Cooper, Morris, Fitzgerald, Worthington, Blackwood, Ashcroft, Chamberlain,
  Montgomery, Richardson, Armstrong
`);
const IRISH_FIRST = list(`
  Seán, Conor, Cian, Oisín, Darragh, Pádraig, Ciarán, Eoin, Tadhg, Fionn, Siobhán, Aoife, Niamh,
  Saoirse, Caoimhe, Róisín, Gráinne, Aisling, Clodagh, Orla
`);
const IRISH_LAST = list(`
  O'Brien, O'Sullivan, Murphy, Kelly, Walsh, O'Neill, McCarthy, Byrne, Ryan, O'Connor, Doherty,
  Kennedy, Lynch, Ní Bhriain, Mac Giolla Phádraig, Ó Súilleabháin, Fitzpatrick, Gallagher
`);
const RUSSIAN_MALE = list(`
  Александр, Сергей, Дмитрий, Андрей, Алексей, Максим, Иван, Михаил, Николай, Владимир, Евгений,
  Константин, Артём, Юрий, Олег, Пётр, Григорий, Станислав, Вячеслав, Илья
`);
const RUSSIAN_FEMALE = list(`
  Анна, Мария, Елена, Ольга, Наталья, Татьяна, Екатерина, Ирина, Светлана, Юлия, Анастасия, Ксения,
  Валентина, Людмила, Дарья, Александра, Галина, Вера, Жанна, Софья
`);
// Surnames whose feminine form adds -а (Петров/Петрова) or changes -ий to -ая (Достоевский/Достоевская).
const RUSSIAN_LAST = list(`
  Иванов, Смирнов, Кузнецов, Попов, Васильев, Петров, Соколов, Михайлов, Новиков, Фёдоров, Морозов,
  Волков, Алексеев, Лебедев, Семёнов, Егоров, Павлов, Козлов, Степанов, Николаев, Воскресенский,
  Достоевский, Вознесенский, Преображенский, Рождественский, Белый, Чернышевский
`);
const RUSSIAN_PATRONYMIC_ROOTS = list(`
  Александров, Сергеев, Викторов, Иванов, Николаев, Михайлов
`);
const SPANISH_FIRST = list(`
  José, Antonio, Manuel, Francisco, Javier, David, Juan, Carlos, Miguel, Alejandro, María, Carmen,
  Lucía, Ana, Isabel, Laura, Cristina, Marta, Pilar, Concepción, María José, José Luis, Juan Carlos,
  María del Carmen
`);
const SPANISH_LAST = list(`
  García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Martín, Jiménez,
  Ruiz, Hernández, Díaz, Moreno, Álvarez, Muñoz, Romero, Alonso, Gutiérrez, Navarro, Domínguez,
  Vázquez, Castillo, Iglesias, Ibáñez
`);
const POLISH_FIRST_MALE = list(`
  Piotr, Krzysztof, Tomasz, Paweł, Michał, Marcin, Grzegorz, Łukasz, Jakub, Wojciech
`);
const POLISH_FIRST_FEMALE = list(`
  Anna, Katarzyna, Małgorzata, Agnieszka, Barbara, Ewa, Magdalena, Joanna, Zofia, Małgosia
`);
// Masculine -ski/-cki surnames; the feminine form ends in -ska/-cka.
const POLISH_SKI = list(`
  Kowalski, Wiśniewski, Lewandowski, Kamiński, Zieliński, Szymański, Dąbrowski, Jabłoński,
  Wróblewski, Nowicki, Kwiatkowski, Przybyszewski
`);
const POLISH_INVARIABLE = list(`
  Nowak, Wójcik, Kowalczyk, Mazur, Krawczyk, Pawlak, Michalak, Woźniak
`);

const POPULATIONS: Population[] = [
  {
    weight: 35,
    name: (pick, chance) => {
      const first = pick(BRITISH_FIRST);
      const middle = chance(0.15) ? ` ${pick(BRITISH_FIRST)}` : '';
      const last = chance(0.06) ? `${pick(BRITISH_LAST)}-${pick(BRITISH_LAST)}` : pick(BRITISH_LAST);
      return `${first}${middle} ${last}`;
    },
  },
  { weight: 10, name: (pick) => `${pick(IRISH_FIRST)} ${pick(IRISH_LAST)}` },
  {
    weight: 30,
    name: (pick, chance) => {
      const female = chance(0.55);
      const first = pick(female ? RUSSIAN_FEMALE : RUSSIAN_MALE);
      const surname = () => {
        const last = pick(RUSSIAN_LAST);
        if (!female) return last;
        return /ий$|ый$/u.test(last) ? last.replace(/..$/u, 'ая') : `${last}а`;
      };
      const last = chance(0.06) ? `${surname()}-${surname()}` : surname();

      const patronymic = chance(0.25)
        ? ` ${pick(RUSSIAN_PATRONYMIC_ROOTS).replace(/ов$|ев$/u, (end) => `${end}${female ? 'на' : 'ич'}`)}`
        : '';
      return `${first}${patronymic} ${last}`;
    },
  },
  {
    weight: 15,
    name: (pick, chance) => {
      const surnames = chance(0.6) ? `${pick(SPANISH_LAST)} ${pick(SPANISH_LAST)}` : pick(SPANISH_LAST);
      return `${pick(SPANISH_FIRST)} ${surnames}`;
    },
  },
  {
    weight: 10,
    name: (pick, chance) => {
      const female = chance(0.5);
      const first = pick(female ? POLISH_FIRST_FEMALE : POLISH_FIRST_MALE);
      const ski = pick(POLISH_SKI);
      const last = chance(0.5) ? (female ? `${ski.slice(0, -1)}a` : ski) : pick(POLISH_INVARIABLE);
      return `${first} ${last}`;
    },
  },
];

// mulberry32: a tiny seeded generator, so every run (and CI) sees the same names.
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function realisticNames(count: number, seed = 20261122): string[] {
  const random = seeded(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const chance = (p: number) => random() < p;
  const totalWeight = POPULATIONS.reduce((sum, population) => sum + population.weight, 0);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    let roll = random() * totalWeight;
    let population = POPULATIONS[0] as Population;
    for (const candidate of POPULATIONS) {
      population = candidate;
      roll -= candidate.weight;
      if (roll < 0) break;
    }
    names.push(population.name(pick, chance));
  }
  return names;
}
